export { buildDigestAuthorization } from './digest-client'
export { DigestAuthenticator, type DigestCredentials, type AuthSuccess } from './digest-server'
export { computeDigestResponse, canonicalAlgorithm, type DigestAlgorithm, type DigestQop } from './digest-hash'
export { parseAuthHeader } from './auth-params'
