/// Placeholder until the module lands.
enum RingdeskRaftModule {}
