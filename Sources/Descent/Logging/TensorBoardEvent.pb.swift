// The subset of TensorBoard's event protos that scalar logging needs, in the form the SwiftProtobuf
// generator emits (the serialisation itself is SwiftProtobuf's). Field numbers and names are those of
//   tensorboard/compat/proto/event.proto    message Event { double wall_time = 1; int64 step = 2;
//                                             oneof what { string file_version = 3; Summary summary = 5; ... } }
//   tensorboard/compat/proto/summary.proto  message Summary { repeated Value value = 1; }
//                                           message Summary.Value { string tag = 1; oneof value { float simple_value = 2; ... } }
// Fields TensorBoard has and scalar logging does not write (graphs, images, histograms, ...) are
// kept as unknown fields when such an event is read.
import SwiftProtobuf

/// A TensorBoard `Event`.
struct TBEvent: Sendable {
    var wallTime: Double = 0
    var step: Int64 = 0
    var what: What? = nil
    enum What: Equatable, Sendable {
        case fileVersion(String)
        case summary(TBSummary)
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// A TensorBoard `Summary`: a list of tagged values.
struct TBSummary: Sendable {
    var value: [Value] = []
    struct Value: Sendable {
        var tag: String = ""
        var simpleValue: Float? = nil
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

extension TBEvent: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Event"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{3}wall_time\0\u{1}step\0\u{3}file_version\0\u{2}\u{2}summary\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularDoubleField(value: &wallTime)
            case 2: try decoder.decodeSingularInt64Field(value: &step)
            case 3:
                var v: String?
                try decoder.decodeSingularStringField(value: &v)
                if let v { what = .fileVersion(v) }
            case 5:
                var v: TBSummary?
                if case .summary(let m)? = what { v = m }
                try decoder.decodeSingularMessageField(value: &v)
                if let v { what = .summary(v) }
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if wallTime.bitPattern != 0 { try visitor.visitSingularDoubleField(value: wallTime, fieldNumber: 1) }
        if step != 0 { try visitor.visitSingularInt64Field(value: step, fieldNumber: 2) }
        switch what {
        case .fileVersion(let v)?: try visitor.visitSingularStringField(value: v, fieldNumber: 3)
        case .summary(let v)?: try visitor.visitSingularMessageField(value: v, fieldNumber: 5)
        case nil: break
        }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBEvent, rhs: TBEvent) -> Bool {
        lhs.wallTime == rhs.wallTime && lhs.step == rhs.step && lhs.what == rhs.what && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBSummary: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Summary"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}value\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeRepeatedMessageField(value: &value)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !value.isEmpty { try visitor.visitRepeatedMessageField(value: value, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBSummary, rhs: TBSummary) -> Bool {
        lhs.value == rhs.value && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBSummary.Value: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Summary.Value"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}tag\0\u{3}simple_value\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularStringField(value: &tag)
            case 2: try decoder.decodeSingularFloatField(value: &simpleValue)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !tag.isEmpty { try visitor.visitSingularStringField(value: tag, fieldNumber: 1) }
        if let v = simpleValue { try visitor.visitSingularFloatField(value: v, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBSummary.Value, rhs: TBSummary.Value) -> Bool {
        lhs.tag == rhs.tag && lhs.simpleValue == rhs.simpleValue && lhs.unknownFields == rhs.unknownFields
    }
}
