// A throw-away PKI made with the openssl CLI for the TLS tests: a CA, certificates it signs, and a
// rogue CA whose certificates must not be accepted.
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface IssuedCert { keyFile: string, certFile: string, key: Buffer, cert: Buffer }

export class TestPki {
  private constructor (readonly dir: string) {}

  static async create (): Promise<TestPki> {
    return new TestPki(await fs.mkdtemp(path.join(os.tmpdir(), 'trunkgate-pki-')))
  }

  /** Self-signed CA; returns its files under <name>.key/.crt. */
  async ca (name: string): Promise<IssuedCert> {
    const keyFile = path.join(this.dir, `${name}.key`)
    const certFile = path.join(this.dir, `${name}.crt`)
    await run('openssl', ['req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    return this.read(keyFile, certFile)
  }

  /** A leaf signed by `ca`, for clientAuth and serverAuth, with SAN IP:127.0.0.1 and DNS:localhost. */
  async leaf (name: string, ca: IssuedCert): Promise<IssuedCert> {
    const keyFile = path.join(this.dir, `${name}.key`)
    const csrFile = path.join(this.dir, `${name}.csr`)
    const certFile = path.join(this.dir, `${name}.crt`)
    const extFile = path.join(this.dir, `${name}.ext`)
    await fs.writeFile(extFile, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' +
      'extendedKeyUsage=clientAuth,serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n')
    await run('openssl', ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${name}`])
    await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile,
      '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', extFile])
    return this.read(keyFile, certFile)
  }

  async cleanup (): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true })
  }

  private async read (keyFile: string, certFile: string): Promise<IssuedCert> {
    const [key, cert] = await Promise.all([fs.readFile(keyFile), fs.readFile(certFile)])
    return { keyFile, certFile, key, cert }
  }
}
