/// Placeholder until the module lands.
enum RingdeskTestSupportModule {}
