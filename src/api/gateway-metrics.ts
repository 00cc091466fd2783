// Prometheus metrics of one gateway instance (prom-client), in a registry of its own so several
// servers in one process (tests) do not collide and the default global registry stays untouched.
import client from 'prom-client'

/** What the UDP transport counts (structurally; the API imports nothing from src/sip). */
export interface DatagramCounters { received: number, keepalives: number, dropped: Record<string, number> }

export class GatewayMetrics {
  readonly registry = new client.Registry()
  readonly callsTotal: client.Counter<'direction' | 'status'>
  readonly sipResponses: client.Counter<'code' | 'direction'>
  readonly rtpPackets: client.Counter<'direction'>
  readonly rtpLost: client.Counter
  readonly rtpJitter: client.Histogram
  readonly mos: client.Histogram
  readonly callsWithoutMedia: client.Counter<'direction'>
  readonly engineRoundTrip: client.Histogram
  readonly webhookLatency: client.Histogram<'webhook' | 'result'>
  readonly apiRequests: client.Counter<'route' | 'status'>

  constructor (activeCalls: () => { inbound: number, outbound: number }) {
    const registers = [this.registry]
    new client.Gauge({
      name: 'trunkgate_active_calls',
      help: 'Calls in progress (ringing or answered), by direction',
      labelNames: ['direction'] as const,
      registers,
      collect () {
        const a = activeCalls()
        this.set({ direction: 'inbound' }, a.inbound)
        this.set({ direction: 'outbound' }, a.outbound)
      }
    })
    this.callsTotal = new client.Counter({ name: 'trunkgate_calls_total', help: 'Ended calls by direction and final status', labelNames: ['direction', 'status'] as const, registers })
    this.sipResponses = new client.Counter({ name: 'trunkgate_sip_responses_total', help: 'SIP responses by status code, sent or received', labelNames: ['code', 'direction'] as const, registers })
    this.rtpPackets = new client.Counter({ name: 'trunkgate_rtp_packets_total', help: 'RTP packets of ended calls, received or sent', labelNames: ['direction'] as const, registers })
    this.rtpLost = new client.Counter({ name: 'trunkgate_rtp_packets_lost_total', help: 'RTP packets lost (RFC 3550 A.3) on ended calls', registers })
    this.rtpJitter = new client.Histogram({ name: 'trunkgate_rtp_jitter_ms', help: 'Interarrival jitter (RFC 3550 A.8) per ended call, ms', buckets: [1, 2, 5, 10, 20, 30, 50, 100, 200], registers })
    this.mos = new client.Histogram({ name: 'trunkgate_call_mos', help: 'Estimated MOS (ITU-T G.107 E-model) per ended call', buckets: [1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4], registers })
    this.callsWithoutMedia = new client.Counter({ name: 'trunkgate_calls_without_media_total', help: 'Ended calls with negotiated media but no valid RTP received (none, or none that authenticated): no MOS', labelNames: ['direction'] as const, registers })
    this.engineRoundTrip = new client.Histogram({ name: 'trunkgate_engine_round_trip_seconds', help: 'Conversation engine request → reply time', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers })
    this.webhookLatency = new client.Histogram({ name: 'trunkgate_webhook_latency_seconds', help: 'Webhook exchange time by webhook and result', labelNames: ['webhook', 'result'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers })
    this.apiRequests = new client.Counter({ name: 'trunkgate_api_requests_total', help: 'Control API requests by route and HTTP status', labelNames: ['route', 'status'] as const, registers })
  }

  /** One SIP response seen on the wire. */
  sipResponse (code: number, direction: 'sent' | 'received'): void {
    this.sipResponses.inc({ code: String(code), direction })
  }

  callEnded (direction: string, status: string, media: { packetsReceived: number, packetsSent: number, packetsLost: number, jitterMs: number, mos: number | null } | null): void {
    this.callsTotal.inc({ direction, status })
    if (!media) return
    this.rtpPackets.inc({ direction: 'received' }, media.packetsReceived)
    this.rtpPackets.inc({ direction: 'sent' }, media.packetsSent)
    this.rtpLost.inc(media.packetsLost)
    this.rtpJitter.observe(media.jitterMs)
    if (media.mos === null) this.callsWithoutMedia.inc({ direction })
    else this.mos.observe(media.mos)
  }

  webhook (webhook: 'pre_call' | 'post_call', elapsedMs: number, ok: boolean): void {
    this.webhookLatency.observe({ webhook, result: ok ? 'ok' : 'failed' }, elapsedMs / 1000)
  }

  /**
   * SIP over UDP: datagrams received, keep-alives, and datagrams dropped by reason (oversize, unparseable,
   * broken_response, broken_ack), read from the transport's counters at scrape time.
   */
  observeDatagrams (read: () => DatagramCounters | null): void {
    const registers = [this.registry]
    new client.Counter({
      name: 'trunkgate_sip_udp_datagrams_total',
      help: 'SIP UDP datagrams received, by kind (sip, keepalive)',
      labelNames: ['kind'] as const,
      registers,
      collect () {
        const s = read()
        if (!s) return
        this.reset()
        this.inc({ kind: 'keepalive' }, s.keepalives)
        this.inc({ kind: 'sip' }, s.received - s.keepalives)
      }
    })
    new client.Counter({
      name: 'trunkgate_sip_udp_dropped_total',
      help: 'SIP UDP datagrams dropped (counted, never answered or passed on), by reason',
      labelNames: ['reason'] as const,
      registers,
      collect () {
        const s = read()
        if (!s) return
        this.reset()
        for (const [reason, n] of Object.entries(s.dropped)) this.inc({ reason }, n)
      }
    })
  }

  /** Registration state per trunk (trunks[].register): 1 while registered, and the failures since the last success. */
  observeRegistrations (read: () => Array<{ trunk: string, state: string, failures: number }>): void {
    const registers = [this.registry]
    new client.Gauge({
      name: 'trunkgate_trunk_registered',
      help: 'Registration to the trunk\'s registrar: 1 registered, 0 not (registering, failed, unregistered)',
      labelNames: ['trunk', 'state'] as const,
      registers,
      collect () {
        this.reset()
        for (const r of read()) this.set({ trunk: r.trunk, state: r.state }, r.state === 'registered' ? 1 : 0)
      }
    })
    new client.Gauge({
      name: 'trunkgate_trunk_registration_failures',
      help: 'Consecutive failed REGISTER attempts per trunk (0 after a success)',
      labelNames: ['trunk'] as const,
      registers,
      collect () {
        this.reset()
        for (const r of read()) this.set({ trunk: r.trunk }, r.failures)
      }
    })
  }

  /** trunks[].keepalive_s: 1 while the trunk answers OPTIONS, 0 once it stopped answering (timeout/transport error). */
  observeTrunkHealth (read: () => Array<{ trunk: string, up: boolean | null }>): void {
    new client.Gauge({
      name: 'trunkgate_trunk_up',
      help: 'OPTIONS keep-alive per trunk (keepalive_s): 1 answering, 0 down',
      labelNames: ['trunk'] as const,
      registers: [this.registry],
      collect () {
        this.reset()
        for (const h of read()) if (h.up !== null) this.set({ trunk: h.trunk }, h.up ? 1 : 0)
      }
    })
  }

  async text (): Promise<{ contentType: string, body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
