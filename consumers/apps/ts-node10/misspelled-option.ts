// `clientSecrt` is a typo of `clientSecret`: tsc must reject it, naming the option.
import axios from 'axios';
import { oauth2 } from 'axios-client-credentials';

export const handle = oauth2(axios.create(), {
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  clientId: 'billing-service',
  clientSecrt: 'not-a-real-secret',
});
