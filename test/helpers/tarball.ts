import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** A gzipped tarball shaped like GitHub's: every file under `owner-repo-<sha7>/`. */
export async function githubTarball(owner: string, repo: string, sha: string, files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const top = `${owner}-${repo}-${sha.slice(0, 7)}/`;
  pack.entry({ name: top, type: 'directory', mode: 0o755 });
  for (const [path, content] of Object.entries(files)) {
    pack.entry({ name: `${top}${path}`, mode: path.endsWith('.sh') ? 0o755 : 0o644 }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
