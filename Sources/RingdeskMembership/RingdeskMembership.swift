/// Placeholder until the module lands.
enum RingdeskMembershipModule {}
