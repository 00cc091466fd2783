import type { TrunkConfig, TrunkgateConfig } from '../../config'
import { cidrContains, normalizeAddress, parseCidr, type Cidr } from './cidr'

interface TrunkAcl { trunk: TrunkConfig; networks: Cidr[] }

export type TrunkMatch =
  | { matched: true; trunk: TrunkConfig; network: Cidr }
  | { matched: false; onFail: 'reject' | 'drop'; addressedTrunk: TrunkConfig | null }

/**
 * Assigns a request to a trunk by its source address (ACL authentication, as carriers configure it).
 * The most specific network wins, so a carrier's /28 beats a catch-all 0.0.0.0/0 trunk; among equally
 * specific matches the trunk whose digest username the request presents, then the first configured.
 */
export class TrunkSelector {
  private readonly acls: TrunkAcl[]
  private readonly config: TrunkgateConfig

  constructor (config: TrunkgateConfig) {
    this.config = config
    this.acls = config.trunks.map(trunk => ({
      trunk,
      // Validated by the config schema; a null here would be a bug in the validator.
      networks: trunk.inbound.acl.map(text => {
        const c = parseCidr(text)
        if (!c) throw new Error(`invalid ACL entry ${text} passed validation`)
        return c
      })
    }))
  }

  select (sourceAddress: string, opts: { calledUser?: string | null; authUsername?: string | null } = {}): TrunkMatch {
    const address = normalizeAddress(sourceAddress)
    let best: { trunk: TrunkConfig; network: Cidr; userMatch: boolean } | null = null
    if (address) {
      for (const { trunk, networks } of this.acls) {
        for (const network of networks) {
          if (!cidrContains(network, address)) continue
          const userMatch = opts.authUsername != null && trunk.inbound.auth?.username === opts.authUsername
          if (!best || network.prefix > best.network.prefix || (network.prefix === best.network.prefix && userMatch && !best.userMatch)) {
            best = { trunk, network, userMatch }
          }
        }
      }
    }
    if (best) return { matched: true, trunk: best.trunk, network: best.network }
    // Issue 13: a carrier that delivers calls to our registered contact sends them from addresses no ACL lists
    // (its edge proxies). The called user equal to a registration's contact user matches that trunk; its digest
    // settings still apply after the match.
    const registered = opts.calledUser ? this.config.trunks.find(t => t.register && (t.register.contact_user ?? t.register.username) === opts.calledUser) : undefined
    if (registered && address) return { matched: true, trunk: registered, network: { family: address.family, network: address.bytes, prefix: address.bytes.length * 8, text: `${sourceAddress} (registered contact)` } }
    // Not in any ACL: the trunk the call was addressed to decides between 403 and a silent drop;
    // otherwise the global sip.onUnknownSource does.
    const addressed = opts.calledUser ? this.trunkForNumber(opts.calledUser) : null
    return { matched: false, onFail: addressed?.inbound.onAclFail ?? this.config.sip.onUnknownSource, addressedTrunk: addressed }
  }

  /** The trunk a number belongs to: listed in trunks[].phone_numbers, or restricted by phone_numbers[].trunk. */
  trunkForNumber (number: string): TrunkConfig | null {
    const byList = this.config.trunks.find(t => t.phone_numbers.includes(number))
    if (byList) return byList
    const route = this.config.phone_numbers.find(p => p.number === number)
    if (route?.trunk) return this.config.trunks.find(t => t.name === route.trunk) ?? null
    return null
  }
}
