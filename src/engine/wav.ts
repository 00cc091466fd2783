// Minimal RIFF/WAVE reader for 16-bit PCM (what `espeak-ng --stdout` writes). espeak-ng streams its
// output, so the RIFF and data sizes are placeholders (0x7ffff0xx): the data chunk is read up to the
// end of the buffer instead of trusting its size.

export interface PcmAudio {
  sampleRate: number
  channels: number
  samples: Int16Array
}

export function parseWav (buf: Buffer): PcmAudio {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file')
  }
  let off = 12
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | null = null
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4)
    const size = buf.readUInt32LE(off + 4)
    const body = off + 8
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new Error('WAVE fmt chunk too short')
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) }
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAVE data before fmt')
      if (fmt.format !== 1 || fmt.bits !== 16) throw new Error(`WAVE format ${fmt.format}/${fmt.bits} bit is not 16-bit PCM`)
      const end = Math.min(buf.length, body + size)
      const count = Math.floor((end - body) / 2)
      const samples = new Int16Array(count)
      for (let i = 0; i < count; i++) samples[i] = buf.readInt16LE(body + 2 * i)
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples }
    }
    off = body + size + (size & 1)
  }
  throw new Error('WAVE has no data chunk')
}
