/**
 * The two ends of the XDP test's traffic, run inside its network
 * namespaces (`ip netns exec NS node udp-peer.js …`):
 *
 *   send ADDR PORT COUNT           send COUNT datagrams, one after the other
 *   receive ADDR PORTS EXPECT      bind each port, print `ready`, then print
 *                                  the per-port counts as JSON once EXPECT
 *                                  datagrams arrived on the first port (or
 *                                  after 30 s), with a moment's grace for
 *                                  stragglers
 */
import dgram from 'node:dgram';

const [mode, address, ports, count] = process.argv.slice(2);

function send(): void {
  const socket = dgram.createSocket('udp4');
  const port = Number(ports);
  let left = Number(count);
  const next = () => {
    if (left-- === 0) {
      socket.close();
      return;
    }
    socket.send(Buffer.from(`packet ${left}`), port, address, (err) => {
      if (err) throw err;
      next();
    });
  };
  next();
}

function receive(): void {
  const list = ports.split(',').map(Number);
  const counts: Record<number, number> = Object.fromEntries(list.map((p) => [p, 0]));
  const expect = Number(count);
  let bound = 0;
  let finishing = false;
  const sockets = list.map((port) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => {
      counts[port]++;
      if (counts[list[0]] >= expect) finish();
    });
    socket.bind(port, address, () => {
      if (++bound === list.length) console.log('ready');
    });
    return socket;
  });
  const finish = () => {
    if (finishing) return;
    finishing = true;
    setTimeout(() => {
      console.log(JSON.stringify(counts));
      for (const s of sockets) s.close();
      clearTimeout(deadline);
    }, 200);
  };
  const deadline = setTimeout(finish, 30_000);
}

if (mode === 'send') send();
else if (mode === 'receive') receive();
else {
  console.error('usage: udp-peer send ADDR PORT COUNT | receive ADDR PORT[,PORT…] EXPECT');
  process.exitCode = 2;
}
