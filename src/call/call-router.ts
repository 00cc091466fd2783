import type { AgentConfig, PhoneNumberRoute, TrunkConfig, TrunkgateConfig } from '../config'
import type { SipRequest } from '../sip/message/types'
import { parseUri } from '../sip/message/uri'
import { SipError } from '../sip/sip-error'

export interface CallRoute {
  phoneNumber: string
  agentId: string
  agent: AgentConfig | null
  route: PhoneNumberRoute
}

/**
 * Routes an admitted INVITE to an agent by the Request-URI user part, which must EQUAL a configured
 * number: '+19991234567' and '19991234567' are different numbers (no normalisation, so an operator
 * always sees exactly what matched). Anything else is 404 Not Found (RFC 3261 §8.2.2.1).
 */
export class CallRouter {
  private readonly byNumber: Map<string, PhoneNumberRoute>
  private readonly agents: Map<string, AgentConfig>

  constructor (config: TrunkgateConfig) {
    this.byNumber = new Map(config.phone_numbers.map(p => [p.number, p]))
    this.agents = new Map(config.agents.map(a => [a.id, a]))
  }

  route (req: SipRequest, trunk: TrunkConfig): CallRoute {
    const uri = parseUri(req.uri)
    const user = uri.user
    if (user === null || user === '') {
      throw new SipError(404, 'Not Found', 'SIP_ERR_NO_USER_PART', { detail: `Request-URI ${req.uri} has no user part (sip:+15550100@host)` })
    }
    // A tel: URI or a sip: URI with user=phone may carry visual separators (RFC 3966 §5.1.1);
    // they are not removed on purpose — the configured number must match what the trunk sends.
    const route = this.byNumber.get(user)
    if (!route) throw new SipError(404, 'Not Found', 'SIP_ERR_UNKNOWN_NUMBER', { detail: `no phone number "${user}" configured` })
    if (route.trunk !== undefined && route.trunk !== trunk.name) {
      throw new SipError(404, 'Not Found', 'SIP_ERR_NUMBER_NOT_ON_TRUNK', { detail: `"${user}" is not reachable through trunk ${trunk.name}` })
    }
    if (trunk.phone_numbers.length > 0 && !trunk.phone_numbers.includes(user)) {
      throw new SipError(404, 'Not Found', 'SIP_ERR_NUMBER_NOT_ON_TRUNK', { detail: `"${user}" is not in trunk ${trunk.name} phone_numbers` })
    }
    return { phoneNumber: user, agentId: route.agent, agent: this.agents.get(route.agent) ?? null, route }
  }
}
