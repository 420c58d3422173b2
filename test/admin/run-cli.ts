// Running the command-line tools as an operator would: a child process with its own environment.
import { spawn } from 'node:child_process';

export type Exit = { code: number | null; stdout: string; stderr: string };

export function run(command: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** stderr without npm's own notices (warnings about the user's npm config, for instance). */
export const ownLines = (text: string) =>
  text.split('\n').filter((l) => l.trim() !== '' && !/^npm (warn|notice)/.test(l));
