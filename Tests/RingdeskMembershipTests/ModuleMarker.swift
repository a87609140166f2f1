// Keeps the test target buildable in a fresh clone until its tests land.
