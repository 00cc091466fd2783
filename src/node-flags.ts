// The node (V8) flags the gateway runs with. One list for every way it is started: the `trunkgate`
// command's shebang (src/cli.ts), `npm start`, docker/Dockerfile and the load bench; a test keeps
// them equal (test/config/node-flags.test.ts).
//
// Why: audio makes the JS heap churn (frames to the engine, engine audio back: tens of MB/s of
// short-lived objects) while the live old generation stays small (~20 MB at 200 calls). V8 then sizes
// the old generation's limit close to its live size, and when the room left under that limit is
// smaller than the young generation, every scavenge schedules an incremental mark-compact: at 200
// calls that was ~3 full collections a second, ~40 % more gateway CPU (`npm run bench -- load calls`,
// `gc=` in its log line). A 128 MB floor under the old generation's limit keeps the room larger than
// the young generation, so only scavenges run; it costs at most that much more RSS before a full
// collection. The floor survives full collections (checked with LOAD_GATEWAY_FORCE_GC in the bench).
// NODE_OPTIONS cannot carry this flag (node refuses it there), hence the explicit command lines.
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']

/** The flags from GATEWAY_NODE_FLAGS missing from a process's execArgv (the CLI warns about them). */
export function missingNodeFlags (execArgv: readonly string[]): string[] {
  return GATEWAY_NODE_FLAGS.filter(flag => {
    const name = flag.split('=')[0]
    return !execArgv.some(a => a === flag || (a.split('=')[0] === name && a.includes('=')))
  })
}
