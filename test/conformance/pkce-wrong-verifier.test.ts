// @see RFC 7636 §4.5, §4.6 (invalid_grant when the verifier does not match), §4.1 (verifier syntax)
import t from 'tap';
import { publicClient, startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError } from '../helpers/conformance.js';
import { pkcePair, postToken, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a wrong, missing, plain-equal or malformed verifier with invalid_grant', async (t) => {
  const { verifier, challenge } = pkcePair();
  const cases: Record<string, Record<string, string>> = {
    'another verifier': { code_verifier: pkcePair().verifier },
    'no verifier': {},
    'the challenge itself (plain)': { code_verifier: challenge },
    'too short': { code_verifier: verifier.slice(0, 42) },
    'bad characters': { code_verifier: `${verifier.slice(0, 42)}!` },
  };
  for (const [name, extra] of Object.entries(cases)) {
    const response = await redeemCode(bridge, await freshCode(bridge, { codeChallenge: challenge }), extra);
    t.equal(response.status, 400, name);
    t.equal((await oauthError(response)).error, 'invalid_grant', name);
  }
});

t.test('refuses a public client code redeemed without its verifier', async (t) => {
  const { challenge } = pkcePair();
  const code = await freshCode(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  const response = await postToken(bridge, { grant_type: 'authorization_code', code, redirect_uri: publicClient.redirectUri, client_id: publicClient.clientId });
  t.equal((await oauthError(response)).error, 'invalid_grant');
});
