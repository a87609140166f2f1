/// Placeholder until the replication host lands.
enum RingdeskReplicationModule {}
