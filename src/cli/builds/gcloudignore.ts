import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** What gcloud writes (and uses) when a folder has no .gcloudignore. */
export function defaultGcloudignore(dir: string): string {
  const lines = ['.gcloudignore', '.git', '.gitignore'];
  if (existsSync(join(dir, '.gitignore'))) lines.push('#!include:.gitignore');
  return `${lines.join('\n')}\n`;
}

/**
 * The rules deciding what `builds submit` uploads: DIR/.gcloudignore (or `ignoreFile`), else gcloud's
 * default. Gitignore syntax; `#!include:FILE` pulls in FILE's patterns (relative to DIR).
 */
export function loadGcloudignore(dir: string, ignoreFile?: string): Ignore {
  const file = join(dir, ignoreFile ?? '.gcloudignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : defaultGcloudignore(dir);
  return ignore().add(expandIncludes(dir, text, new Set()));
}

function expandIncludes(dir: string, text: string, seen: Set<string>): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^#!include:(.+)$/.exec(line.trim());
    if (!m) {
      out.push(line);
      continue;
    }
    const name = m[1]!.trim();
    if (seen.has(name)) continue;
    seen.add(name);
    const path = join(dir, name);
    if (existsSync(path)) out.push(...expandIncludes(dir, readFileSync(path, 'utf8'), seen));
  }
  return out;
}
