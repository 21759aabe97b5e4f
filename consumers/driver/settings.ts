import path from 'node:path';

/** The axios versions of the matrix. `latest` is whatever `axios@1` resolves to today. */
export const AXIOS_VERSIONS = [
  { label: '0.27.2', spec: '0.27.2' },
  { label: '1.6.0', spec: '1.6.0' },
  { label: '1.8.4', spec: '1.8.4' },
  { label: 'latest', spec: '1' },
] as const;

export type AxiosLabel = (typeof AXIOS_VERSIONS)[number]['label'];

export interface Settings {
  /** The project to pack: the repository this folder is in, unless CONSUMERS_PROJECT names another checkout. */
  projectDir: string;
  /** CONSUMERS_ONLY=esm,cjs: app names, or their first dash-separated parts (`ts` is every TypeScript app). */
  onlyApps: string[] | undefined;
  /** CONSUMERS_AXIOS=1.6.0,latest (`1` means latest). */
  onlyAxios: string[] | undefined;
  /** CONSUMERS_KEEP=1 keeps the temp dir with the fixture apps, for a look after the run. */
  keepTempDir: boolean;
  /** The whole run is killed past this (CONSUMERS_DEADLINE_S, default 900 s). */
  deadlineMs: number;
  /** How many installs or app runs at once (CONSUMERS_CONCURRENCY, default 2: this machine has 2 cores). */
  concurrency: number;
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

export function readSettings(): Settings {
  const env = process.env;
  return {
    projectDir: path.resolve(env.CONSUMERS_PROJECT ?? path.join(__dirname, '..', '..')),
    onlyApps: list(env.CONSUMERS_ONLY),
    onlyAxios: list(env.CONSUMERS_AXIOS)?.map((label) => (label === '1' ? 'latest' : label)),
    keepTempDir: env.CONSUMERS_KEEP === '1',
    deadlineMs: Number(env.CONSUMERS_DEADLINE_S ?? 900) * 1000,
    concurrency: Math.max(1, Number(env.CONSUMERS_CONCURRENCY ?? 2)),
  };
}

/** Whether an app is selected: `esm` selects `esm`, `ts` selects `ts-nodenext-esm` and the other ts-* apps. */
export function isAppSelected(settings: Settings, appName: string): boolean {
  return settings.onlyApps === undefined || settings.onlyApps.some((wanted) => appName === wanted || appName.startsWith(`${wanted}-`));
}

export function isAxiosSelected(settings: Settings, label: AxiosLabel): boolean {
  return settings.onlyAxios === undefined || settings.onlyAxios.includes(label);
}
