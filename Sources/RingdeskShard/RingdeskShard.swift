/// Placeholder until the shard state machine lands.
enum RingdeskShardModule {}
