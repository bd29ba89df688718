// Runs test files in path order, with the replay test last: it replays every
// history the earlier integration tests left on the server.
const Sequencer = require('@jest/test-sequencer').default;

class FleetcmdSequencer extends Sequencer {
  sort(tests) {
    const last = (t) => (/[\\/]replay\.test\.ts$/.test(t.path) ? 1 : 0);
    return [...tests].sort((a, b) => last(a) - last(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = FleetcmdSequencer;
