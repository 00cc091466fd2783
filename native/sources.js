// Lists the addon's C++ sources for binding.gyp, so adding a file under native/ needs no gyp edit.
// Files named *_test.cc or under native/test are standalone test programs, not part of the addon.
const fs = require('fs')
const path = require('path')
const out = []
;(function walk (dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) { if (e.name !== 'test') walk(p) } else if (e.name.endsWith('.cc') && !e.name.endsWith('_test.cc')) out.push(p)
  }
})('native')
console.log(out.sort().join(' '))
