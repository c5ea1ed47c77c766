/** The OpenID Connect provider for `npm run dev`, with its test user (services/frontend/test/helpers). */
import { startOidcProvider, type OidcProviderOptions } from '../../services/frontend/test/helpers/oidc-provider.ts';
import { runStandIn } from './run-stand-in.ts';

await runStandIn<OidcProviderOptions>('identity-provider', (options) => startOidcProvider(options));
