import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** A gzipped tarball shaped like GitHub's: every file under `owner-repo-<sha7>/`. */
export async function githubTarball(owner: string, repo: string, sha: string, files: Record<string, string | Buffer>): Promise<Buffer> {
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

/** The regular files of a GitHub-shaped tarball (top folder stripped); {} when it does not unpack. */
export async function filesOfTarball(archive: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  try {
    for await (const entry of Readable.from([gunzipSync(archive, { maxOutputLength: 64 * 1024 * 1024 })]).pipe(tar.extract())) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const slash = entry.header.name.indexOf('/');
      if (entry.header.type === 'file' && slash >= 0) files[entry.header.name.slice(slash + 1)] = Buffer.concat(chunks).toString('utf8');
    }
  } catch {
    return files;
  }
  return files;
}
