import { spawn, type ChildProcess } from 'node:child_process';

/** Children still running, so that a deadline or Ctrl-C can end every one of them. */
const running = new Set<ChildProcess>();

/** Past this, output is dropped: a runaway child must not exhaust the driver's memory. */
const MAX_CAPTURED_CHARS = 8_000_000;

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface SpawnOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/**
 * Starts a child in a process group of its own (detached), so that killing it also kills
 * whatever it started (npm runs scripts in subshells, tsc and esbuild in their own).
 */
function startChild(command: string, args: readonly string[], { cwd, env }: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('close', () => running.delete(child));
  return child;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Ends every child this driver started (and their process groups). */
export function killAllChildren(): void {
  for (const child of running) killGroup(child);
}

function capture(stream: NodeJS.ReadableStream | null, sink: { text: string }, onData?: (text: string) => void): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (sink.text.length < MAX_CAPTURED_CHARS) sink.text += chunk;
    onData?.(chunk);
  });
}

/** Runs a command to its end, or kills it at the timeout. Never rejects for a failing command. */
export function runCommand(command: string, args: readonly string[], options: SpawnOptions): Promise<CommandResult> {
  const started = Date.now();
  const child = startChild(command, args, options);
  const stdout = { text: '' };
  const stderr = { text: '' };
  capture(child.stdout, stdout);
  capture(child.stderr, stderr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, options.timeoutMs);
  return new Promise((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout: stdout.text, stderr: stderr.text, timedOut, durationMs: Date.now() - started });
    };
    child.once('error', (error) => {
      stderr.text += `\n${error.message}`;
      finish(null, null);
    });
    child.once('close', finish);
  });
}

/** A long-running child (a service) that said which port it listens on. */
export interface Service {
  port: number;
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

/**
 * Starts a service and waits for the line `LISTENING <port>` on its stdout. It is killed
 * when stopped, when it does not become ready in time, or at `timeoutMs` whatever happens.
 */
export function startService(command: string, args: readonly string[], options: SpawnOptions & { readyTimeoutMs: number }): Promise<Service> {
  const child = startChild(command, args, options);
  const stdout = { text: '' };
  const stderr = { text: '' };
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lifetime = setTimeout(() => killGroup(child), options.timeoutMs);
  const stop = async (): Promise<void> => {
    clearTimeout(lifetime);
    killGroup(child);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let isSettled = false;
    const fail = (why: string): void => {
      if (isSettled) return;
      isSettled = true;
      const crash = stderr.text.split('\n').find((line) => /^\s*\w*(Error|Exception)\b.*:/.test(line));
      const details = `${crash ? `${crash.trim()}\n` : ''}stdout: ${stdout.text.slice(-2000)}\nstderr: ${stderr.text.slice(-2000)}`;
      void stop().then(() => reject(new Error(`${why}\n${details}`)));
    };
    const readyTimer = setTimeout(() => fail(`not listening after ${options.readyTimeoutMs} ms`), options.readyTimeoutMs);
    capture(child.stdout, stdout, () => {
      const match = /^LISTENING (\d+)$/m.exec(stdout.text);
      if (!match || isSettled) return;
      isSettled = true;
      clearTimeout(readyTimer);
      resolve({ port: Number(match[1]), output: () => ({ stdout: stdout.text, stderr: stderr.text }), stop });
    });
    capture(child.stderr, stderr);
    child.once('error', (error) => fail(error.message));
    void exited.then(() => {
      clearTimeout(readyTimer);
      fail(`exited before listening (code ${child.exitCode}, signal ${child.signalCode})`);
    });
  });
}

/** The environment for children: this one, without what the driver's own launcher injected. */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // NODE_OPTIONS may carry tsx's loader; npm_package_*/npm_lifecycle_* describe the
    // project's own `npm run`, not the fixture app's.
    if (name === 'NODE_OPTIONS' || name.startsWith('npm_package_') || name.startsWith('npm_lifecycle_')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
