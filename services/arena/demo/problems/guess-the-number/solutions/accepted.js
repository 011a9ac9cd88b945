const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => (await lines.next()).value.trim();

(async () => {
  let low = 1;
  let high = Number(await next());
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    process.stdout.write(`? ${middle}\n`);
    const answer = await next();
    if (answer === "=") low = high = middle;
    else if (answer === "<") high = middle - 1;
    else low = middle + 1;
  }
  process.stdout.write(`! ${low}\n`);
  process.exit(0);
})();
