/**
 * The two apps the build-speed goals are measured on (issue: push to serving as fast as the engine
 * allows): an ordinary six-instruction static site, and a multi-stage build of about fifteen
 * instructions with its dependency manifest copied (and "installed") before the sources.
 * `marker` labels every build container (for Docker's event stream) without changing the steps.
 */

/** FROM, COPY, RUN, EXPOSE, HEALTHCHECK, CMD: a static site served by busybox httpd on 8080. */
export function staticSite(body: string, marker: Record<string, string> = {}): Record<string, string> {
  return {
    Dockerfile: [
      'FROM helvetia-base:latest',
      ...labelLine(marker),
      'COPY www /www',
      'RUN chmod -R a+rX /www',
      'EXPOSE 8080',
      'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1',
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      '',
    ].join('\n'),
    'www/index.html': `${body}\n`,
    'www/style.css': 'body { font-family: sans-serif }\n',
  };
}

/**
 * A realistic multi-stage build: manifest first, an install RUN (slow on purpose, and stamping
 * when it ran, so a reused layer is visible in the served app), sources after, a build RUN, a slim
 * final stage. `.dockerignore` keeps notes and logs out of the context, as a team's would.
 */
export function multiStageApp(body: string, deps = 'left-pad 1.3.0\nlodash 4.17.21\n', marker: Record<string, string> = {}): Record<string, string> {
  return {
    Dockerfile: [
      'FROM helvetia-base:latest AS deps',
      ...labelLine(marker),
      'WORKDIR /src',
      'COPY package.txt ./',
      'RUN mkdir -p /deps && while read name version; do echo "$name@$version" > "/deps/$name"; done < package.txt && sleep 1 && date +%s%N > /deps/.installed-at',
      'FROM deps AS build',
      'COPY . .',
      'RUN sh build.sh /out && cp /deps/.installed-at /out/installed-at.txt && ls -A /src /src/src > /out/context.txt',
      'FROM helvetia-base:latest',
      'WORKDIR /www',
      'COPY --from=build /out /www',
      'ENV PORT=8080',
      'EXPOSE 8080',
      'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1',
      'CMD ["sh", "-c", "exec httpd -f -p $PORT -h /www"]',
      '',
    ].join('\n'),
    '.dockerignore': 'NOTES.md\n**/*.log\n',
    'package.txt': deps,
    'build.sh': '#!/bin/sh\nset -e\nmkdir -p "$1"\nfor f in src/*.html; do sed "s/{{year}}/2026/" "$f" > "$1/$(basename "$f")"; done\n',
    'src/index.html': `<h1>${body}</h1> {{year}}\n`,
    'src/about.html': '<p>about</p>\n',
    'src/debug.log': 'never in the image\n',
    'NOTES.md': 'never in the context\n',
  };
}

function labelLine(marker: Record<string, string>): string[] {
  const pairs = Object.entries(marker).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? [`LABEL ${pairs.join(' ')}`] : [];
}
