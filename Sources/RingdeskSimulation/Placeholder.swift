// placeholder until the simulator lands
enum RingdeskSimulationModule {}
