// Child process of the engine-link bench: an echoing vendor server (ElevenLabs Agents, OpenAI Realtime or a
// Twilio media-stream bot, by argv[2]; argv[3] "ulaw" for μ-law audio) on a loopback port, so the gateway side
// is charged only for its own work. stdout: first line the port; stdin "stats" -> {"frames":n}.
import readline from 'node:readline'
import { WebSocketServer } from 'ws'

const protocol = process.argv[2]
const ulaw = process.argv[3] === 'ulaw'
let frames = 0

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
wss.on('connection', ws => {
  let eventId = 0
  let streamSid = ''
  ws.on('message', data => {
    const m = JSON.parse(data.toString())
    if (protocol === 'elevenlabs') {
      if (m.type === 'conversation_initiation_client_data') {
        const f = ulaw ? 'ulaw_8000' : 'pcm_16000'
        ws.send(JSON.stringify({ type: 'conversation_initiation_metadata', conversation_initiation_metadata_event: { conversation_id: 'c', agent_output_audio_format: f, user_input_audio_format: f } }))
      } else if (m.user_audio_chunk) {
        frames++
        ws.send(JSON.stringify({ type: 'audio', audio_event: { audio_base_64: m.user_audio_chunk, event_id: ++eventId } }))
      }
    } else if (protocol === 'openai_realtime') {
      if (m.type === 'session.update') ws.send(JSON.stringify({ type: 'session.updated', event_id: 'e', session: { type: 'realtime', id: 's', object: 'realtime.session' } }))
      else if (m.type === 'input_audio_buffer.append') {
        frames++
        ws.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: `e${++eventId}`, response_id: 'r', item_id: 'item_1', output_index: 0, content_index: 0, delta: m.audio }))
      }
    } else if (m.event === 'start') {
      streamSid = m.streamSid
    } else if (m.event === 'media') {
      frames++
      ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: m.media.payload } }))
    }
  })
})
wss.on('listening', () => {
  const addr = wss.address()
  process.stdout.write(`${addr !== null && typeof addr === 'object' ? addr.port : String(addr)}\n`)
})
const lines = readline.createInterface({ input: process.stdin })
lines.on('line', line => { if (line.trim() === 'stats') process.stdout.write(JSON.stringify({ frames }) + '\n') })
lines.on('close', () => { wss.close(); process.exit(0) })
