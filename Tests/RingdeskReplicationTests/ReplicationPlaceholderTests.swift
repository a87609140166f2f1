import Testing
@testable import RingdeskReplication
