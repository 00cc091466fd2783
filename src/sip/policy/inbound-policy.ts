import type { PeerCertificate } from 'node:tls'
import type { TrunkConfig, TrunkgateConfig } from '../../config'
import type { Logger } from '../../log'
import type { HeaderField, SipRequest } from '../message/types'
import { getHeader, getHeaders, getTo } from '../message/headers'
import { parseUri } from '../message/uri'
import { SipError } from '../sip-error'
import { DigestAuthenticator } from '../auth/digest-server'
import { parseAuthHeader } from '../auth/auth-params'
import { ALLOWED_METHODS as ALLOW_VALUE } from '../dialog/dialog-state'
import { findSdp, parseMediaType } from './sdp-body'
import { TrunkSelector } from './trunk-selector'
import type { TransportName } from '../transport/transport-kind'

/**
 * Methods this UA implements (RFC 3261 §20.5 Allow), out of dialog or inside an established one.
 * The same list the UA layer writes into its own Allow headers.
 */
export const ALLOWED_METHODS = ALLOW_VALUE.split(',').map(m => m.trim())
/** Option tags we support (RFC 3261 §20.37): session timers (RFC 4028). */
export const SUPPORTED_EXTENSIONS = ['timer'] as const
/** Bodies we understand (RFC 3261 §20.1 Accept). */
export const ACCEPTED_CONTENT_TYPES = ['application/sdp', 'multipart/mixed'] as const

/** Out of dialog we accept calls and answer capability queries; everything else is 405/481/501. */
const OUT_OF_DIALOG_METHODS = new Set(['INVITE', 'OPTIONS'])
/**
 * Left to the transaction and dialog layers even out of dialog: CANCEL/ACK matching, and 481 for
 * requests that only exist inside a dialog (RFC 3261 §12.2.2, §15.1.2).
 */
const LOWER_LAYER_METHODS = new Set(['ACK', 'CANCEL', 'BYE', 'UPDATE', 'INFO', 'PRACK', 'NOTIFY'])
/**
 * Methods defined by SIP and its extensions that we recognise but do not offer out of dialog:
 * 405 Method Not Allowed with Allow (RFC 3261 §8.2.1, §21.4.6). Anything unrecognised is 501 (§21.5.2).
 */
const NOT_ALLOWED_METHODS = new Set(['REGISTER', 'SUBSCRIBE', 'PUBLISH', 'MESSAGE', 'REFER'])

/** The parts of a transport source the policy looks at (TransportSource fits). */
export interface PolicySource {
  /** udp too: a carrier that reached a trusted proxy over UDP (trusted-proxy.ts). */
  transport: TransportName
  remoteAddress: string
  tlsPeerCertificate?: PeerCertificate
  tlsAuthorized?: boolean
}

export type Admission =
  | { action: 'accept'; trunk: TrunkConfig; authUser: string | null }
  | { action: 'drop'; code: string; detail: string }

export interface InboundPolicyOptions {
  authenticator?: DigestAuthenticator
  logger?: Logger
}

/**
 * Inbound trunk policy: who may talk to us (ACL / client certificate / digest) and which requests a
 * UAS accepts at all (RFC 3261 §8.2). Each rejection is a SipError thrown where it is decided; a
 * silent drop is a returned decision (there is nothing to answer).
 */
export class InboundPolicy {
  readonly selector: TrunkSelector
  private readonly config: TrunkgateConfig
  private readonly authenticator: DigestAuthenticator
  private readonly logger?: Logger

  constructor (config: TrunkgateConfig, opts: InboundPolicyOptions = {}) {
    this.config = config
    this.selector = new TrunkSelector(config)
    this.logger = opts.logger
    this.authenticator = opts.authenticator ?? new DigestAuthenticator({
      onBlocked: source => this.logger?.warn({ source, code: 'SIP_ERR_AUTH_BLOCKED' }, 'too many digest failures: source blocked')
    })
  }

  /**
   * The silent-drop decision alone, made on the raw request BEFORE any transaction exists: a dropped
   * source must not even get the 100 Trying an INVITE server transaction sends at once (RFC 3261
   * §17.2.1), or scanners learn that something answers. Returns null when the request goes on to
   * admit() (which may still reject it with 403).
   */
  screen (req: SipRequest, source: PolicySource): { code: string; detail: string } | null {
    const match = this.selector.select(source.remoteAddress, { calledUser: safeCalledUser(req) })
    if (match.matched || match.onFail !== 'drop') return null
    const detail = `source ${source.remoteAddress} is in no trunk ACL`
    this.logDrop(source.remoteAddress, req.method, detail)
    return { code: 'SIP_ERR_ACL_DENIED', detail }
  }

  private readonly lastDropLog = new Map<string, number>()
  /** One log line per source per minute: a flood of dropped requests must not become a flood of logs. */
  private logDrop (source: string, method: string, detail: string): void {
    const now = Date.now()
    const last = this.lastDropLog.get(source)
    if (last !== undefined && now - last < 60_000) return
    if (this.lastDropLog.size > 10_000) this.lastDropLog.clear()
    this.lastDropLog.set(source, now)
    this.logger?.info({ source, method, code: 'SIP_ERR_ACL_DENIED' }, 'request dropped (further drops from this source for 60 s not logged): ' + detail)
  }

  /**
   * Source admission for every request: ACL trunk selection, the TLS client certificate when the
   * trunk requires one, and digest authentication of dialog-creating INVITEs. ACK and CANCEL are
   * never challenged (RFC 3261 §22.1), nor are in-dialog requests of an admitted call.
   */
  admit (req: SipRequest, source: PolicySource): Admission {
    const calledUser = safeCalledUser(req)
    const authUsername = req.method === 'INVITE' ? offeredUsername(req) : null
    const match = this.selector.select(source.remoteAddress, { calledUser, authUsername })
    if (!match.matched) {
      const detail = `source ${source.remoteAddress} is in no trunk ACL` +
        (match.addressedTrunk ? ` (called ${calledUser} on trunk ${match.addressedTrunk.name})` : '')
      if (match.onFail === 'drop') {
        this.logDrop(source.remoteAddress, req.method, detail)
        return { action: 'drop', code: 'SIP_ERR_ACL_DENIED', detail }
      }
      throw new SipError(403, 'Forbidden', 'SIP_ERR_ACL_DENIED', { detail })
    }
    const trunk = match.trunk
    if (trunk.inbound.requireClientCert) {
      if (source.transport !== 'tls') {
        throw new SipError(403, 'Forbidden', 'SIP_ERR_TLS_REQUIRED', { detail: `trunk ${trunk.name} requires TLS with a client certificate` })
      }
      const cert = source.tlsPeerCertificate
      if (!cert || Object.keys(cert).length === 0 || source.tlsAuthorized !== true) {
        throw new SipError(403, 'Forbidden', 'SIP_ERR_CLIENT_CERT_REQUIRED', {
          detail: `trunk ${trunk.name} requires a client certificate signed by the configured CA`
        })
      }
    }
    const auth = trunk.inbound.auth
    let authUser: string | null = null
    if (auth && req.method === 'INVITE' && isDialogCreating(req)) {
      const realm = auth.realm ?? this.config.sip.advertise?.host ?? 'trunkgate'
      authUser = this.authenticator.authenticate(req, { ...auth, realm }, source.remoteAddress).username
    }
    return { action: 'accept', trunk, authUser }
  }

  /**
   * RFC 3261 §8.2.1-§8.2.3 for an out-of-dialog request, in the RFC's order: method (405/501),
   * Request-URI scheme (416), Require (420), then content (415). Requests the transaction and dialog
   * layers own (ACK, CANCEL, BYE …) pass untouched.
   */
  checkRequest (req: SipRequest): void {
    const method = req.method
    if (LOWER_LAYER_METHODS.has(method)) return
    if (!OUT_OF_DIALOG_METHODS.has(method)) {
      const allow = [{ name: 'Allow', value: ALLOW_VALUE }]
      if (NOT_ALLOWED_METHODS.has(method)) {
        const detail = method === 'REGISTER' ? 'this is not a registrar' : `${method} is not offered out of dialog`
        throw new SipError(405, 'Method Not Allowed', 'SIP_ERR_METHOD_NOT_ALLOWED', { detail, headers: allow })
      }
      throw new SipError(501, 'Not Implemented', 'SIP_ERR_METHOD_NOT_IMPLEMENTED', { detail: `unknown method ${method}`, headers: allow })
    }
    const scheme = parseUri(req.uri).scheme
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
      throw new SipError(416, 'Unsupported URI Scheme', 'SIP_ERR_UNSUPPORTED_URI_SCHEME', { detail: `Request-URI scheme "${scheme}"` })
    }
    const required = getHeaders(req, 'Require').map(t => t.trim()).filter(t => t.length > 0)
    const unsupported = required.filter(t => !(SUPPORTED_EXTENSIONS as readonly string[]).includes(t.toLowerCase()))
    if (unsupported.length > 0) {
      throw new SipError(420, 'Bad Extension', 'SIP_ERR_BAD_EXTENSION', {
        detail: `unsupported option tags: ${unsupported.join(', ')}`,
        headers: [{ name: 'Unsupported', value: unsupported.join(', ') }]
      })
    }
    this.checkContent(req)
    if (method === 'INVITE') this.checkAccept(req)
  }

  /**
   * RFC 3261 §21.4.7 / RFC 4475 §3.3.15: our 2xx to an INVITE must carry SDP; an Accept that rules out
   * application/sdp (an empty one included) leaves no acceptable answer -> 406 Not Acceptable.
   */
  private checkAccept (req: SipRequest): void {
    if (!req.headers.some(h => h.name === 'Accept')) return
    const ranges = getHeaders(req, 'Accept').map(v => parseMediaType(v)?.type ?? v.trim().toLowerCase())
    if (ranges.some(r => r === 'application/sdp' || r === 'application/*' || r === '*/*')) return
    throw new SipError(406, 'Not Acceptable', 'SIP_ERR_NOT_ACCEPTABLE', {
      detail: `Accept: ${ranges.join(', ') || '(empty)'} excludes application/sdp`,
      headers: [{ name: 'Warning', value: '399 trunkgate "an answer to INVITE is application/sdp"' }]
    })
  }

  /** §8.2.3: a body we cannot use -> 415 with Accept (and Accept-Encoding for a coding we lack). */
  private checkContent (req: SipRequest): void {
    const encoding = getHeader(req, 'Content-Encoding')
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new SipError(415, 'Unsupported Media Type', 'SIP_ERR_UNSUPPORTED_ENCODING', {
        detail: `Content-Encoding ${encoding}`, headers: [{ name: 'Accept-Encoding', value: 'identity' }]
      })
    }
    if (req.body.length === 0) return // INVITE without offer (RFC 3264 §5: we offer in the 200)
    const contentType = getHeader(req, 'Content-Type')
    const accept = [{ name: 'Accept', value: req.method === 'INVITE' ? ACCEPTED_CONTENT_TYPES.join(', ') : 'application/sdp' }]
    if (contentType === undefined) {
      throw new SipError(415, 'Unsupported Media Type', 'SIP_ERR_UNSUPPORTED_MEDIA_TYPE', { detail: 'body without Content-Type', headers: accept })
    }
    if (!parseMediaType(contentType) || findSdp(contentType, req.body) === null) {
      throw new SipError(415, 'Unsupported Media Type', 'SIP_ERR_UNSUPPORTED_MEDIA_TYPE', { detail: `Content-Type ${contentType}`, headers: accept })
    }
  }

  /** 503 with Retry-After when taking the call would exceed sip.maxConcurrentCalls (RFC 3261 §21.5.4). */
  checkCapacity (activeCalls: number): void {
    const max = this.config.sip.maxConcurrentCalls
    if (activeCalls >= max) {
      throw new SipError(503, 'Service Unavailable', 'SIP_ERR_CAPACITY', {
        detail: `${activeCalls} calls in progress, maximum ${max}`,
        headers: [{ name: 'Retry-After', value: String(this.config.sip.retryAfterSeconds) }]
      })
    }
  }

  /** Capabilities in a 200 to OPTIONS (RFC 3261 §11.2): what trunks' keep-alive probes look for. */
  optionsHeaders (): HeaderField[] {
    return [
      { name: 'Allow', value: ALLOW_VALUE },
      { name: 'Accept', value: ACCEPTED_CONTENT_TYPES.join(', ') },
      { name: 'Accept-Encoding', value: 'identity' },
      { name: 'Supported', value: SUPPORTED_EXTENSIONS.join(', ') }
    ]
  }
}

function isDialogCreating (req: SipRequest): boolean {
  try {
    return !getTo(req).params.get('tag')
  } catch {
    return true // a broken To is rejected by the layer that parses it; challenge as if new
  }
}

/** The called user part for choosing between 403 and drop; malformed URIs simply give none. */
function safeCalledUser (req: SipRequest): string | null {
  try {
    return parseUri(req.uri).user
  } catch {
    return null
  }
}

function offeredUsername (req: SipRequest): string | null {
  for (const h of req.headers) {
    if (h.name.toLowerCase() !== 'authorization') continue
    const parsed = parseAuthHeader(h.value)
    const user = parsed?.scheme === 'digest' ? parsed.params.get('username') : undefined
    if (user !== undefined) return user
  }
  return null
}
