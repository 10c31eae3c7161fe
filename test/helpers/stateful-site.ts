/** Redis inline commands through busybox nc: prints the value of a GET, or the reply line. */
export const REDIS = 'redis() { printf "%s\\r\\n" "$*" | nc -w 1 db 6379 | tr -d "\\r"; }';

/**
 * A site that keeps data in two places: a key in its `db` service (Redis, reached as `db` on the
 * environment network) and a file in its `uploads` volume. CGI: /cgi-bin/write?v, /cgi-bin/read,
 * /cgi-bin/probe?host (can this container reach host:6379?).
 */
export function statefulSite(opts: { label: string; release?: string; strategy?: string; extra?: string } = { label: 'v1' }): Record<string, string> {
  const cgi = (body: string) => ['#!/bin/sh', 'printf "Content-Type: text/plain\\r\\n\\r\\n"', REDIS, body].join('\n');
  return {
    Dockerfile: 'FROM helvetia-base:latest\nCOPY www /www\nCOPY app /app\nRUN chmod +x /www/cgi-bin/*\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    'www/index.html': `${opts.label}\n`,
    'www/cgi-bin/write': cgi('redis SET note "$QUERY_STRING" >/dev/null; printf %s "$QUERY_STRING" > /app/uploads/note.txt; echo written'),
    'www/cgi-bin/read': cgi('echo "key=$(redis GET note | sed -n 2p) file=$(cat /app/uploads/note.txt 2>/dev/null) seeds=$(redis GET seeds | sed -n 2p) migrations=$(redis GET migrations | sed -n 2p) token=$(printf %s "$DB_TOKEN" | sha256sum | cut -c1-12)"'),
    'www/cgi-bin/probe': cgi('if timeout 3 nc -w 2 "$QUERY_STRING" 6379 </dev/null >/dev/null 2>&1; then echo OPEN; else echo CLOSED; fi'),
    'app/migrate.sh': `${REDIS}\n${opts.release ?? 'redis INCR migrations'}\n`,
    'app/seed.sh': `${REDIS}\nredis INCR seeds\n`,
    '.helvetia.yml': [
      'volumes:',
      '  uploads: /app/uploads',
      'services:',
      '  db:',
      '    image: helvetia-redis:7',
      '    env:',
      '      TOKEN: { generate: true }',
      '    volumes: { redisdata: /data }',
      '    port: 6379',
      'env:',
      '  DB_TOKEN: ${services.db.env.TOKEN}',
      'release: sh /app/migrate.sh',
      'seed: sh /app/seed.sh',
      `strategy: ${opts.strategy ?? 'rolling'}`,
      opts.extra ?? '',
    ].join('\n'),
  };
}
