// Self-signed certificate for running the TLS listener (RFC 3261 §26.2.1 / RFC 5922) before an
// operator has installed a real one. It lets SIPp+stunnel or a softphone with verification disabled
// connect; no carrier will (or should) accept it, which is why its use is logged as a warning.

import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export interface DevCertificate {
  key: Buffer
  cert: Buffer
}

export interface DevCertificateOptions {
  commonName?: string
  /** subjectAltName entries, e.g. ['DNS:localhost', 'IP:127.0.0.1'] (RFC 5922 §7.1 matches on SAN). */
  altNames?: string[]
  days?: number
}

/**
 * Generates a P-256 key and a self-signed certificate with the `openssl` CLI (OpenSSL ≥ 1.1.1 for
 * -addext) in a private temp dir that is removed afterwards.
 */
export async function generateDevCertificate (opts: DevCertificateOptions = {}): Promise<DevCertificate> {
  const commonName = opts.commonName ?? 'trunkgate-development'
  const altNames = opts.altNames ?? ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trunkgate-devcert-'))
  const keyFile = path.join(dir, 'key.pem')
  const certFile = path.join(dir, 'cert.pem')
  try {
    await execFileAsync('openssl', [
      'req', '-x509', '-nodes',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', certFile,
      '-days', String(opts.days ?? 30),
      '-subj', `/CN=${commonName}/O=trunkgate development (self-signed)`,
      '-addext', `subjectAltName=${altNames.join(',')}`
    ], { timeout: 30_000 })
    const [key, cert] = await Promise.all([fs.readFile(keyFile), fs.readFile(certFile)])
    return { key, cert }
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new Error('cannot generate a TLS development certificate: the `openssl` command is not installed; ' +
        'install openssl or configure sip.listen.tls.cert and sip.listen.tls.key')
    }
    throw new Error(`cannot generate a TLS development certificate: ${e.stderr?.trim() || e.message}`)
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}
