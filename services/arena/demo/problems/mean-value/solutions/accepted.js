const data = require('fs').readFileSync(0, 'utf8').trim().split(/\s+/).map(Number);
const n = data[0];
let sum = 0;
for (let i = 1; i <= n; i++) sum += data[i];
console.log((sum / n).toFixed(9));
