/// Placeholder until the module lands.
enum RingdeskDomainModule {}
