import DeclarativeParsers
import SpoorBuiltins
import SpoorKit
import SpoorModules
import Testing

/// The modules shipped in the binary load, and their own tests pass.
@Suite struct ShippedModulesTests {
    @Test(arguments: ShippedModules.load().map(\.id))
    func inlineTestsPass(_ id: String) {
        let module = ShippedModules.load().first { $0.id == id }!
        #expect(!module.tests.isEmpty)
        for result in InlineTestRunner.run(module, makeRegistry: builtinRegistry) {
            #expect(result.passed, "\(result.test.origin): \(result.problems.joined(separator: "\n"))")
        }
    }
}
