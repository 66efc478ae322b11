// os: a harmless description of the sandbox rather than of the host: one
// CPU, no network interfaces, no memory figures, "/" as home and "/tmp" as
// the temporary directory. Nothing here reads the real machine.

'use strict';

const constants = {
  UV_UDP_REUSEADDR: 4,
  dlopen: {},
  errno: {},
  signals: { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 },
  priority: { PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 },
};

module.exports = {
  EOL: '\n',
  devNull: '/dev/null',
  constants,
  arch: () => 'x64',
  machine: () => 'x86_64',
  platform: () => 'linux',
  type: () => 'Linux',
  release: () => '6.0.0-corral',
  version: () => '#1 corral',
  hostname: () => 'corral',
  homedir: () => '/',
  tmpdir: () => '/tmp',
  endianness: () => 'LE',
  uptime: () => 0,
  loadavg: () => [0, 0, 0],
  totalmem: () => 0,
  freemem: () => 0,
  availableParallelism: () => 1,
  cpus: () => [{ model: 'corral', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }],
  networkInterfaces: () => ({}),
  userInfo: () => ({ uid: -1, gid: -1, username: 'corral', homedir: '/', shell: null }),
  getPriority: () => 0,
  setPriority: () => {},
};
