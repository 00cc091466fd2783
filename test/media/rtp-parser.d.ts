// Types for the npm `rtp-parser` package (ships none); used only as an independent reference in tests.
declare module 'rtp-parser' {
  export interface ParsedRtp {
    version: number, padding: number, extension: number, csrcCount: number, marker: number
    payloadType: number, sequenceNumber: number, timestamp: number, ssrc: number, csrc: number[], payload: Buffer
  }
  export function parseRtpPacket (buf: Buffer): ParsedRtp
}
