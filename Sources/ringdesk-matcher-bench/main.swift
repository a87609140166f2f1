print("matcher bench")
