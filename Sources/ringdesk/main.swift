// Entry point: parse, run, and print errors the way the brief asks (`error: <code>: <message>`).
await RingdeskMain.run()
