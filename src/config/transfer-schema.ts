// Transfer-to-human settings (issue 6): per-agent transfer rules, per-trunk REFER policy and the
// gateway-wide transfer timings. Field meanings are documented in config/default.yaml.
import { bool, ConfigError, int, obj, oneOf, optional, refine, str, type Infer, type Validator } from './schema-builder'
import { parseUri } from '../sip/message/uri'

/** E.164 (ITU-T E.164 §6): "+", a country code not starting with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9][0-9]{1,14}$/

export const transferTypes = ['conference', 'sip_refer'] as const
export type TransferTypeName = typeof transferTypes[number]

export type TransferDestination =
  | { type: 'phone', phone_number: string }
  | { type: 'sip_uri', sip_uri: string }

const phoneDestination = obj({
  type: oneOf(['phone'] as const),
  phone_number: str({ pattern: E164, patternName: 'an E.164 number ("+" then 2-15 digits, e.g. "+15551234567")' })
})

const sipUriDestination = obj({
  type: oneOf(['sip_uri'] as const),
  sip_uri: refine(str({ minLength: 1 }), (v, path) => { checkSipUri(v, path) })
})

/** A SIP or SIPS URI with a host (RFC 3261 §19.1.1); `tel:` and others are refused here. */
function checkSipUri (v: string, path: string): void {
  let scheme: string
  let host: string
  try {
    const u = parseUri(v)
    scheme = u.scheme
    host = u.host
  } catch (err) {
    throw new ConfigError(path, `${JSON.stringify(v)} is not a valid SIP URI (${(err as Error).message})`)
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    throw new ConfigError(path, `${JSON.stringify(v)} must be a sip: or sips: URI (e.g. "sip:support@example.com")`)
  }
  if (!host) throw new ConfigError(path, `${JSON.stringify(v)} has no host part`)
}

/** `{type: phone, phone_number}` or `{type: sip_uri, sip_uri}`: the `type` picks which shape is checked. */
const transferDestination: Validator<TransferDestination> = {
  kind: 'required',
  describe: "a mapping {type: phone, phone_number} or {type: sip_uri, sip_uri}",
  check (value: unknown, path: string): TransferDestination {
    const type = (value !== null && typeof value === 'object' && !Array.isArray(value)) ? (value as Record<string, unknown>).type : undefined
    if (type === 'sip_uri') return sipUriDestination.check(value, path)
    if (type === 'phone') return phoneDestination.check(value, path)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(path, 'expected a mapping {type: phone, phone_number} or {type: sip_uri, sip_uri}')
    }
    throw new ConfigError(`${path}.type`, `must be one of 'phone', 'sip_uri', got ${type === undefined ? 'nothing' : JSON.stringify(type)}`)
  }
}

/**
 * One `transfer_to_number` rule. A SIP URI can only be handed to the trunk in a REFER: a conference
 * transfer dials through the agent's outbound trunk, which takes phone numbers.
 */
export const transferRule = refine(obj({
  transfer_destination: transferDestination,
  condition: str({ minLength: 1 }),
  transfer_type: optional(oneOf(transferTypes), () => 'conference' as const)
}), (v, path) => {
  if (v.transfer_destination.type === 'sip_uri' && v.transfer_type !== 'sip_refer') {
    throw new ConfigError(`${path}.transfer_type`, `a sip_uri destination needs transfer_type 'sip_refer' (conference transfers dial phone numbers), got '${v.transfer_type}'`)
  }
})
export type TransferRuleConfig = Infer<typeof transferRule>

/** The string the engine must send back in `transfer_number` to pick this rule (compared exactly). */
export function transferRuleTarget (rule: TransferRuleConfig): string {
  return rule.transfer_destination.type === 'phone' ? rule.transfer_destination.phone_number : rule.transfer_destination.sip_uri
}

/**
 * How a trunk's own REFER (a PBX transferring the caller away from the agent) is answered:
 * accept (202, NOTIFYs, INVITE to the Refer-To target), 403 Forbidden or 405 Method Not Allowed.
 */
export const incomingReferPolicies = ['accept', 'reject_403', 'reject_405'] as const
export type IncomingReferPolicy = typeof incomingReferPolicies[number]

/** Trunk fields (spread into the trunk mapping). */
export const trunkTransferFields = {
  // We may send REFER to this trunk (its switch performs the transfer). false: sip_refer rules fail at once.
  allow_refer: optional(bool(), () => true),
  // Default reject_403: accepting makes the gateway dial whatever URI the peer names.
  incoming_refer: optional(oneOf(incomingReferPolicies), () => 'reject_403' as const)
}

const holdAudio = refine(obj({
  type: optional(oneOf(['tone', 'file', 'silence'] as const), () => 'tone' as const),
  // tone: 425 Hz on 1 s / off 4 s (ITU-T E.180 waiting tone); file: 16 kHz mono s16 WAV, looped.
  file: optional(str({ minLength: 1 })),
  tone_hz: optional(int({ min: 100, max: 4000 }), () => 425),
  tone_on_ms: optional(int({ min: 20, max: 10000 }), () => 1000),
  tone_off_ms: optional(int({ min: 0, max: 10000 }), () => 4000)
}), (v, path) => {
  if (v.type === 'file' && v.file === undefined) throw new ConfigError(`${path}.file`, "is required when type is 'file'")
})

/** Gateway-wide transfer timings (top-level `transfer:`). */
export const transferSettings = obj({
  // RFC 3515 §2.4.4: the REFER subscription gets NOTIFYs; without a final sipfrag in this time the transfer failed.
  refer_notify_timeout_ms: optional(int({ min: 100, max: 600000 }), () => 30000),
  // Conference transfer: the human's phone rings at most this long (then CANCEL, "no answer").
  ring_timeout_ms: optional(int({ min: 1000, max: 600000 }), () => 30000),
  // The engine's whisper (agent_message) to the human ends at its Mark, or at this bound.
  whisper_max_ms: optional(int({ min: 0, max: 120000 }), () => 15000),
  hold_audio: optional(holdAudio, () => holdAudio.check({}, ''))
})
export type TransferSettings = Infer<typeof transferSettings>
export type HoldAudioConfig = TransferSettings['hold_audio']
