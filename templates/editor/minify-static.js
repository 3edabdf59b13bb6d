// Run by customize.sh in the image's chroot, at build time (natively, seconds): minifies the
// JavaScript Etherpad serves to browsers, in place, with the terser it ships and the options it
// uses at run time (MinifyWorker.js: Terser.minify(content)). Etherpad then runs with
// "minify": false: it still bundles and gzips, but never runs terser in the guest, where TCG made
// the first pad page wait minutes. Usage: node minify-static.js DIR...
'use strict';
const fs = require('fs');
const path = require('path');
const Terser = require('/opt/etherpad/node_modules/terser');

const files = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && p.endsWith('.js')) files.push(p);
  }
};
process.argv.slice(2).forEach(walk);

(async () => {
  let before = 0; let after = 0; let kept = 0;
  for (const f of files) {
    const content = fs.readFileSync(f, 'utf8');
    before += content.length;
    try {
      const {code} = await Terser.minify(content);
      if (typeof code !== 'string' || code.length === 0) throw new Error('no output');
      fs.writeFileSync(f, code);
      after += code.length;
    } catch (err) {
      kept++;
      after += content.length;
      console.error(`minify-static: ${f} kept as is: ${err.message || err}`);
    }
  }
  console.log(`minify-static: ${files.length} files, ${before >> 10} KiB → ${after >> 10} KiB` +
              (kept ? ` (${kept} kept as they were)` : ''));
})();
