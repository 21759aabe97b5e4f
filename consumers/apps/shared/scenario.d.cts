// Types of scenario.cjs for the TypeScript apps. Deliberately loose about axios: the
// apps' own calls to axios and oauth2() are what the type check is about, not this file.
import type { Agent } from 'node:http';

export interface ScenarioEnvironment {
  apiOrigin: string;
  foreignOrigin: string;
  tokenEndpoint: string;
  controlOrigin: string;
  clientId: string;
  clientSecret: string;
  outputDir: string;
}

/** The parts of an axios instance (or of the global axios) the scenario uses. */
export interface ScenarioClient {
  get(url: string | URL, config?: object): Promise<unknown>;
  post(url: string, data?: unknown, config?: object): Promise<unknown>;
  interceptors: {
    request: { use(onFulfilled: (config: any) => any): number };
    response: { use(onFulfilled: (response: any) => any, onRejected: (error: any) => any): number };
  };
}

export interface ScenarioOptions {
  api: ScenarioClient;
  auth: { eject(): void; getToken(): Promise<string> };
  baseline: ScenarioClient;
  env: ScenarioEnvironment;
  apiHasBaseURL: boolean;
}

export interface ScenarioReport {
  steps: Record<string, unknown>;
}

export declare const INSTANCE_HEADER: { name: string; value: string };
export declare const REQUEST_HEADER: { name: string; value: string };
export declare function readEnvironment(): ScenarioEnvironment;
export declare function localhostAgent(): Agent;
export declare function clientConfig(env: ScenarioEnvironment): {
  baseURL: string;
  headers: Record<string, string>;
  httpAgent: Agent;
  timeout: number;
};
export declare function addAppInterceptors(instance: ScenarioClient, position: 'before-oauth2' | 'after-oauth2'): void;
export declare function createScenario(options: ScenarioOptions): {
  stepNames: string[];
  runStep(name: string): Promise<unknown>;
};
export declare function runScenario(options: ScenarioOptions): Promise<ScenarioReport>;
export declare function printReportAndExit(report: ScenarioReport): void;
export declare function reportCrashAndExit(error: unknown): void;
