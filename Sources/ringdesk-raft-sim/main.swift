print("raft simulation: not built yet")
