// The twin of misspelled-option: the same call, spelled right. It must compile.
import axios from 'axios';
import { oauth2 } from 'axios-client-credentials';

export const handle = oauth2(axios.create(), {
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  clientId: 'billing-service',
  clientSecret: 'not-a-real-secret',
});
