// Dialling through a trunk: RFC 3263 resolution and failover, templated trunk headers, the one URI
// builder. Digest answers to a trunk's 401/407 are the UA's (src/sip/auth/digest-client.ts) with the
// trunk's credentials handed to each INVITE here.
export { SipResolver, ResolveError, DEFAULT_SIP_PORT, type DnsLookup, type SipTarget, type SrvRecord } from './sip-resolver'
export { renderHeaders, templateVariables, HeaderTemplateError, type VariableValue } from './header-template'
export { inviteWithFailover, isSynthesized, shouldFailOver, type InviteFailoverRequest, type PendingInvite } from './invite-failover'
export { trunkUri, destinationUri, trunkAddress, hostWithPort, isPhoneNumber, TrunkUriError } from './trunk-uri'
