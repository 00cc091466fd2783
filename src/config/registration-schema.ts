// trunks[].register and keepalive_s: registration of trunkgate to a carrier or PBX registrar (RFC 3261 §10.2, client side).
import { ConfigError, int, obj, oneOf, optional, refine, str } from './schema-builder'

const registerSchema = refine(obj({
  username: str({ minLength: 1 }),
  /** Name of the environment variable holding the password (never the password itself in the file). */
  password_env: str({ pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, patternName: 'an environment variable name' }),
  /** AOR domain (To/From sip:username@domain and the Request-URI); default: the registrar host. */
  domain: optional(str({ minLength: 1 })),
  /** host[:port] REGISTER is sent to; default: the domain. */
  registrar: optional(str({ minLength: 1 })),
  expires: optional(int({ min: 60, max: 86400 }), () => 3600),
  /** User part of our Contact (INVITEs to it come from this registration); default the username. */
  contact_user: optional(str({ pattern: /^[A-Za-z0-9+\-_.!~*'()&=$,]{1,64}$/, patternName: 'a SIP user part' })),
  transport: optional(oneOf(['udp', 'tcp', 'tls'] as const), () => 'udp' as const)
}), (v, path) => {
  if (v.domain === undefined && v.registrar === undefined) throw new ConfigError(path, 'needs domain or registrar')
})

/** Spread into the trunk schema. */
export const trunkRegistrationFields = {
  register: optional(registerSchema),
  /** OPTIONS keep-alive to the trunk every N seconds (its outbound address, else its registrar); off when absent. */
  keepalive_s: optional(int({ min: 5, max: 3600 }))
}
