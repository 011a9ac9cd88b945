const n = Number(require('fs').readFileSync(0, 'utf8').trim());
let d = 2;
while (n % d !== 0) d++;
console.log(`${d} ${n / d}`);
