import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Returns the contents of `name` in `dir`, creating it with `create()` if it does not exist.
 * Creation is race-free across processes sharing the folder: the file is written under a
 * temporary name and hard-linked into place, which fails if another process won the race,
 * in which case the winner's contents are returned.
 */
export async function readOrCreateFile(dir: string, name: string, create: () => Promise<string>): Promise<string> {
  const path = join(dir, name);
  const existing = await readIfExists(path);
  if (existing !== undefined) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temporary, await create(), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return readFile(path, 'utf8');
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
