/// A binary min-heap over an array: the simulator's event queue.
public struct BinaryHeap<Element: Comparable> {
    public private(set) var elements: [Element] = []

    public init() {}

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }
    public var min: Element? { elements.first }

    public mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    public mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        let top = elements[0]
        let last = elements.removeLast()
        guard !elements.isEmpty else { return top }
        elements[0] = last
        var parent = 0
        let count = elements.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            var smallest = left
            if right < count, elements[right] < elements[left] { smallest = right }
            guard elements[smallest] < elements[parent] else { break }
            elements.swapAt(smallest, parent)
            parent = smallest
        }
        return top
    }
}
