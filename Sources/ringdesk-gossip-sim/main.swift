print("gossip simulation: not built yet")
