import { AuthorizationServer } from '../../../examples/servers/authorization-server';
import { ApiServer } from './api-server';
import { ControlServer } from './control-server';
import { ForeignServer } from './foreign-server';

/** The one client the authorization server knows; the secret has characters that need form-encoding. */
export const CLIENT = { id: 'consumer-app', secret: 'consumer secret:+/%&=ü' };

/** Fresh servers for one app run, and the environment that tells the app where they are. */
export interface ScenarioServers {
  authorization: AuthorizationServer;
  api: ApiServer;
  foreign: ForeignServer;
  control: ControlServer;
  environment(outputDir: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startScenarioServers(): Promise<ScenarioServers> {
  // The authorization server is the project's own (examples/servers), used as is.
  const authorization = await new AuthorizationServer({ clients: { [CLIENT.id]: CLIENT.secret } }).start();
  const foreign = await new ForeignServer().start();
  const api = await new ApiServer((token) => authorization.isValid(token), () => foreign.origin).start();
  const control = await new ControlServer(authorization).start();
  return {
    authorization,
    api,
    foreign,
    control,
    environment: (outputDir) => ({
      SCENARIO_API_ORIGIN: api.origin,
      SCENARIO_FOREIGN_ORIGIN: foreign.origin,
      SCENARIO_TOKEN_ENDPOINT: authorization.tokenEndpoint,
      SCENARIO_CONTROL_ORIGIN: control.origin,
      SCENARIO_CLIENT_ID: CLIENT.id,
      SCENARIO_CLIENT_SECRET: CLIENT.secret,
      SCENARIO_OUTPUT_DIR: outputDir,
    }),
    stop: async () => {
      await Promise.all([authorization.stop(), api.stop(), foreign.stop(), control.stop()]);
    },
  };
}
