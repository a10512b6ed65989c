import { readFileSync } from 'node:fs';

/** The variables that may instead be read from the file named by `<NAME>_FILE`. */
export const FILE_VARIABLES = ['ADMIN_TOKEN', 'TOKEN_SECRET', 'DATABASE_URL', 'DKIM_PRIVATE_KEY'] as const;

/**
 * Returns the environment with each `<NAME>_FILE` replaced by the file's content as `<NAME>`, so a
 * secret can come from a mounted file rather than sit in the environment (and in `docker inspect`).
 * Problems come back as messages naming the variable; setting both forms is one, since either
 * choice would silently ignore a value the operator wrote.
 */
export function readSecretFiles(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  problems: string[];
} {
  const resolved = { ...env };
  const problems: string[] = [];
  for (const name of FILE_VARIABLES) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) {
      problems.push(`set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      // A trailing newline is how editors and `echo` end a file, never part of the secret.
      resolved[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(`${name}_FILE: cannot read ${file} (${reason})`);
    }
  }
  return { env: resolved, problems };
}
